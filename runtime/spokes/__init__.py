"""One module per wire format, each reading its bodies into the hub and writing them from it."""
