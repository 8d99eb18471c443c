AC_DEFUN([IPX_CHECK_LIBMNL], [
  PKG_CHECK_MODULES([LIBMNL], [libmnl >= 1.0.4], [],
    [AC_MSG_ERROR([libmnl not found: apt-get install libmnl-dev])])
  AC_CHECK_HEADERS([linux/xfrm.h], [], [AC_MSG_ERROR([linux/xfrm.h not found: apt-get install linux-libc-dev])])
])
