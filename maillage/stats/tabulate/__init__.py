"""The case-work cross-tab engine, one module per step: what is asked (params), how each dimension reads
(dimensions), counting (query, rollup_read), the tables with their comparisons (build) and how a table
describes itself on the page and in exports (describe). `maillage.stats.crosstab` re-exports the lot."""
