"""Organization readiness (PF8xx): is this an Exchange 2003/2007 organization, where do the
batch mailboxes live, and what will a staged migration leave behind (public folders,
dynamic distribution groups, delegated permissions)? Fed by the Exchange organization
data (:mod:`preflight.sources.directory.configuration`) and the directory."""
