"""Reading and writing the field's files: genomes (FASTA → codes), annotations (GFF3/GTF/BED → region
classes), bundled datasets, FASTA records, VCF records, bigWig tracks. One module per format; no model code."""
