"""Date formats of the pages (the back-office): English, but a time to the second with its UTC offset.

Django's English ``N j, Y, P`` shows minutes only and no zone; claims' deadlines and the order
of events need seconds, and staff need to know which clock a time is on (TIME_ZONE).
"""

DATETIME_FORMAT = "Y-m-d H:i:s\u00a0O"  # a no-break space: the offset stays with its time
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
