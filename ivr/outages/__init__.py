"""Outages: emergency and planned outages with their restoration estimates, and the hourly
outage schedules (ГПВ) by group; the formats DSOs publish them in, and our own."""
