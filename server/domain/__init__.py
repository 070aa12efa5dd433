"""Domain rules that are not storage: record types and their field rules."""
