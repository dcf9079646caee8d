"""How many keys one upstream call may carry: the limits of the contracts, in one place.

Every client splits its keys into chunks of these sizes; past them the upstream answers
400 (CRM), an error envelope (ERP) or ``LIMIT_EXCEEDED`` (SCM) instead of data.
"""

from __future__ import annotations

from typing import Final

CRM_IDS_PER_CALL: Final = 100
CRM_CUSTOMER_IDS_PER_CALL: Final = 50
CRM_PAGE_SIZE_MAX: Final = 200
CRM_PRODUCT_CODES_PER_CALL: Final = 50

ERP_VALUES_PER_IN: Final = 200
ERP_RECORDS_PER_CALL: Final = 500

SCM_SKUS_PER_CALL: Final = 250
SCM_ORDER_REFS_PER_CALL: Final = 100
SCM_TRACKING_NUMBERS_PER_CALL: Final = 100
SCM_SUPPLIER_IDS_PER_CALL: Final = 100

# A request line longer than this is refused by common servers and proxies (nginx's 8 KiB
# header buffers, Apache's LimitRequestLine 8190), and httpx refuses a query past 64 KiB.
# The gateway refuses such a request itself: the client's input is too large, the
# upstream is not down.
MAX_URL_BYTES: Final = 8_192
