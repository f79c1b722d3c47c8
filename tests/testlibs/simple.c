// Stand-in for bpftrace's testlibs/libsimple.so: a shared library with one exported
// function, `fun`, that the uprobe records list and attach to.
int fun(int a, int b)
{
  return a * 10 + b;
}
