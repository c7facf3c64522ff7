"""What a payer may see of a tax id (DICT_RULES §6)."""


def mask_tax_id(tax_id: str) -> str:
    """How a payer may see a tax id (DICT_RULES §6): a masked CPF, or the CNPJ in full."""
    if len(tax_id) == 11:
        return f"***.{tax_id[3:6]}.{tax_id[6:9]}-**"
    return tax_id
