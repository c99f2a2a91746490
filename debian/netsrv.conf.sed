# The package's /etc/netsrv.conf: upstream's etc/netsrv.conf with the
# workers' user the postinst makes and the drop-in directory set, so the
# two files never drift apart (debian/rules applies this).
s|^# Installed as \$(sysconfdir)/netsrv.conf (usually /etc/netsrv.conf); see$|# The Debian package's /etc/netsrv.conf (a conffile); see|
s|\$(sysconfdir)|/etc|g
/^# Create a dedicated account rather than sharing "nobody":$/,/^#group = "netsrv";/c\
# The package created the system user netsrvd for them.\
user = "netsrvd";\
#group = "netsrvd";		# default: the user's primary group\
\
# --- Other packages' services --------------------------------------------------\
# Drop-in files: each *.conf there holds a services = ( ... ); list of its\
# own, one file per service or package, as xinetd.d (netsrv.conf(5),\
# include_dir). `netsrvd --import /etc/xinetd.conf --import-to\
# /etc/netsrvd/conf.d` turns an xinetd.d into drop-ins.\
include_dir = "/etc/netsrvd/conf.d";\
\
# The entries packages register with update-inetd (fingerd, tftpd, ...),\
# translated as netsrvd --import does; one that cannot be served is\
# logged with its line and skipped, and a change is reloaded by itself\
# (netsrv.conf(5), inetd_conf).\
inetd_conf = "/etc/inetd.conf";
