"""The back-office's staff roles, as data: one auth group per role, holding exactly these permissions.

backoffice.services.roles_ensure creates or corrects the groups after every migrate; give a staff member a
role by putting them in its group (the admin's user page, or seed_demo's demo users). A permission added to
a group by hand is taken away at the next migrate: a role is what this file says, so changing one is a
reviewed change here. The superuser (createsuperuser, seed_demo's ``admin``) is for setting up only.
"""

from accounts.services import STAFF_CLOSE_PERMISSION
from claims.services import STAFF_ACTION_PERMISSIONS
from common.admin_helpers import PII_PERMISSION
from keys.services import STAFF_DELETE_PERMISSION
from keys.updates import STAFF_UPDATE_PERMISSION
from lookup.services import STATISTICS_PERMISSION
from med.models import MANAGE_PERMISSION as MED_PERMISSION

# The customer-facing tables, read-only (the admin never saves a row: ViewOnlyAdmin).
BROWSE = frozenset(
    {
        "accounts.view_holder",
        "accounts.view_account",
        "keys.view_entry",
        "keys.view_synccheck",  # hashes and counts, no PII
        "claims.view_ownershipclaim",
        "portability.view_portability",
    }
)
EVENT_TRAIL = "events.view_domainevent"  # the domain events table (each object's own timeline is on its page)
PII_AUDIT_TRAIL = "audit.view_piiview"  # who saw which object's PII in clear

COMPLIANCE_ANALYST, SUPPORT, AUDITOR = "Compliance analyst", "Support", "Auditor"
FRAUD_TEAM = "Fraud team"
# MED's tables (infraction reports, refunds, fraud markers), read-only like the others.
MED_BROWSE = frozenset({"med.view_infractionreport", "med.view_refund", "med.view_fraudmarker"})
RISK_ENGINE = "Risk engine"

ROLES: dict[str, frozenset[str]] = {
    # Sees PII (each sight audited) and acts at DICT: deletes keys (FRAUD, RFB_VALIDATION) and updates them
    # (the holder's current data, RFB_VALIDATION...), closes accounts, cancels claims (FRAUD) and re-drives
    # them; reads the event trail of what it investigates. So the superuser stays for setting up only.
    COMPLIANCE_ANALYST: BROWSE
    | {
        PII_PERMISSION,
        STAFF_DELETE_PERMISSION,
        STAFF_UPDATE_PERMISSION,
        STAFF_CLOSE_PERMISSION,
        *STAFF_ACTION_PERMISSIONS.values(),
        EVENT_TRAIL,
    },
    # Answers customers: looks, masked, and changes nothing.
    SUPPORT: BROWSE,
    # Checks what staff did and saw: the event trail and the PII audit trail, masked, changing nothing.
    AUDITOR: BROWSE | {EVENT_TRAIL, PII_AUDIT_TRAIL},
    # The PSP's risk engine's service user (not staff, no holder): lookups with DICT's anti-fraud statistics
    # for the payer it names (DICT_RULES §6: never for end users). Nothing of the back-office.
    RISK_ENGINE: frozenset({STATISTICS_PERMISSION}),
    # Works MED (DICT_RULES §8): opens, answers and cancels infraction reports and refunds, marks our
    # customers, in the admin and through the API (its service users' tokens); sees PII, each sight audited.
    FRAUD_TEAM: BROWSE | MED_BROWSE | {MED_PERMISSION, PII_PERMISSION, EVENT_TRAIL},
}
