"""Domain operations on a database session. They never see a Request; routes call them."""
