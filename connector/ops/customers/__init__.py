"""Looking after customers: the list and search (``listing``), one customer's page (``profile``), changing a
balance by hand (``adjustments``) and the RFM roll-up that gives each their segment (``segments``)."""
