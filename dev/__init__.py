"""Development-only tooling (local emulator, worker, CLI, benchmarks); never deployed."""
