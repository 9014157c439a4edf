"""Everything that speaks a foreign wire format: parse, verify and API clients per platform."""
