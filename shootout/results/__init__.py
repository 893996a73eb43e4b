"""The results library: reads and analyses archives; imports nothing from shootout.run."""
