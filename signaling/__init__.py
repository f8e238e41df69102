"""visavis signaling: introduces two browsers to each other; never sees their media."""
