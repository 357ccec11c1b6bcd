"""The sector: each centre's figures against the sector, the year's data cycle and the annual sector report.

Shared figures go through the disclosure engine (`maillage.stats.disclosure`): nothing here hides a
cell on its own.
"""
