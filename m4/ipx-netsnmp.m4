# pkg-config rather than net-snmp-config: the latter adds Perl's include path and
# Debian's build flags (see docs/design.md).
AC_DEFUN([IPX_CHECK_NETSNMP], [
  PKG_CHECK_MODULES([NETSNMP], [netsnmp-agent >= 5.9], [],
    [AC_MSG_ERROR([Net-SNMP agent library not found: apt-get install libsnmp-dev])])
  # The MIB goes where Net-SNMP's tools look for MIBs by default (on Debian
  # /usr/share/snmp/mibs), whatever the prefix: elsewhere nobody would find it by name.
  AC_PATH_PROG([NET_SNMP_CONFIG], [net-snmp-config])
  netsnmp_mibdir=""
  AS_IF([test -n "$NET_SNMP_CONFIG"],
    [netsnmp_mibdir=`$NET_SNMP_CONFIG --default-mibdirs 2>/dev/null | tr ':' '\n' | grep -m1 '^/usr/'`])
  AS_IF([test -z "$netsnmp_mibdir"], [netsnmp_mibdir='${datadir}/snmp/mibs'])
  AC_ARG_WITH([mibdir],
    [AS_HELP_STRING([--with-mibdir=DIR],
      [where to install the MIB (default: Net-SNMP's own MIB directory)])],
    [mibdir="$withval"], [mibdir="$netsnmp_mibdir"])
  AC_SUBST([mibdir])
])
