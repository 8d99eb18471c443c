# Only libcrypto is used: OPENSSL_cleanse to scrub key material (and X.509 parsing later).
AC_DEFUN([IPX_CHECK_OPENSSL], [
  PKG_CHECK_MODULES([OPENSSL], [libcrypto >= 3.0], [],
    [AC_MSG_ERROR([OpenSSL libcrypto not found: apt-get install libssl-dev])])
])
