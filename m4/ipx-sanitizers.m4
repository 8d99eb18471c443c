# IPX_SANITIZERS: --enable-sanitizers=address,undefined (or any -fsanitize list).
AC_DEFUN([IPX_SANITIZERS], [
  AC_ARG_ENABLE([sanitizers],
    [AS_HELP_STRING([--enable-sanitizers@<:@=LIST@:>@],
      [build with -fsanitize=LIST (default address,undefined)])],
    [], [enable_sanitizers=no])
  SAN_CFLAGS=""
  AS_CASE(["$enable_sanitizers"],
    [no], [],
    [yes], [SAN_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"],
    [SAN_CFLAGS="-fsanitize=$enable_sanitizers -fno-sanitize-recover=all -fno-omit-frame-pointer"])
  AC_SUBST([SAN_CFLAGS])
  AM_CONDITIONAL([SANITIZERS], [test "x$enable_sanitizers" != "xno"])
])
