AC_DEFUN([IPX_CHECK_CUNIT], [
  PKG_CHECK_MODULES([CUNIT], [cunit >= 2.1], [have_cunit=yes],
    [AC_MSG_ERROR([CUnit not found: apt-get install libcunit1-dev])])
])
