"""What the benchmarks share: scale and folders, realistic ops, fixtures, servers, load clients, reporting."""
