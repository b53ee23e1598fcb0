"""One module per way a retry layer is written; ``registry.READERS`` says which reads each catalog form."""
