#include <linux/types.h>
#define N 4
static __always_inline unsigned long long f(int a, __u32 b) {
long t = a, u;
for (int i = 0; i < N; i++) { if (i == 2) continue; else t += (u8)b; }
while (t > 100) t >>= 1;
return t ? t : -1;
}
int g(void);
_Bool g(void) { return f(1, 'a') != 0 && !0; }
