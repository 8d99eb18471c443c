# pkg-config rather than net-snmp-config: the latter adds Perl's include path and
# Debian's build flags (see docs/design.md).
AC_DEFUN([IPX_CHECK_NETSNMP], [
  PKG_CHECK_MODULES([NETSNMP], [netsnmp-agent >= 5.9], [],
    [AC_MSG_ERROR([Net-SNMP agent library not found: apt-get install libsnmp-dev])])
  AC_ARG_WITH([mibdir],
    [AS_HELP_STRING([--with-mibdir=DIR], [where to install the MIB (default DATADIR/snmp/mibs)])],
    [mibdir="$withval"], [mibdir='${datadir}/snmp/mibs'])
  AC_SUBST([mibdir])
])
