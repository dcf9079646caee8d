"""The CRM simulator: customers and sales orders over REST + JSON."""
