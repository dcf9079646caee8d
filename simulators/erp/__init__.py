"""The ERP simulator: Odoo-style JSON-RPC ``search_read`` over four models."""
