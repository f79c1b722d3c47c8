/* Stand-in for bpftrace's uprobe_namesan: a function whose symbol holds a character ('$')
 * that is not valid in a BPF program name, so the probe name must be sanitised. */
__attribute__((noinline)) int fn$(void)
{
  return 0;
}

int main(void)
{
  return fn$();
}
