"""The SCM simulator: stock, shipments, suppliers and purchase orders over GraphQL."""
