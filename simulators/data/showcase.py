"""Records whose quirks are forced whatever the seed, so gateway tests can name them.

Everything else is random (from the seed); these few ids always look like this.
"""

from __future__ import annotations

# CRM customers
CUSTOMER_COMPLETE = "C-000001"  # enterprise, gold, every field set, erp_account "K10001"
CUSTOMER_WITHOUT_ERP_ACCOUNT = "C-000002"  # erp_account null
CUSTOMER_SPARSE = "C-000003"  # email, phone, tier and shipping_address null; has an account

# ERP products
PRODUCT_COMPLETE = "P-1001"  # active, scm_sku "SKU-1001-A", standard_cost set
PRODUCT_WITHOUT_SCM_SKU = "P-1002"  # scm_sku false
PRODUCT_WITHOUT_STANDARD_COST = "P-1003"  # standard_cost false
PRODUCT_INACTIVE = "P-1004"  # active false (still has a sku and stock)
