"""SQL repositories, one module per aggregate: documents, templates, e-mails."""
