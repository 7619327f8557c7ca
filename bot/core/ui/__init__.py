"""Pure screen modules, one per area: texts, buttons and their typed button data."""
