/* USDT probes usdt_args:const_*, reg_* and addr_* (suffixes u64, 64, u32, 32, u16, 16,
 * u8, 8), each firing once, in that order within each group, with one argument: the
 * value 0xf7f6f5f4f3f2f1f0 converted to the suffix's type, passed as a constant
 * (`$N`), in a register (`%rax`, `%eax`, `%ax`, `%al`) or in memory (`DISP(%REG)`).
 * Built with -O1 (see CFLAGS_OVERRIDE in tests/conformance/testprogs.rs) so that the
 * operands are what the compiler chose, not all stack slots. */
#include <stdint.h>

#include "usdt.h"

#define VALUE 0xf7f6f5f4f3f2f1f0ULL

typedef union {
    int8_t i8;
    uint8_t u8;
    int16_t i16;
    uint16_t u16;
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
} any_int;

/* The value in a named register. */
#define IN_REG(reg, type, probe)                                               \
    do {                                                                       \
        register type r_ __asm__(reg) = (type)VALUE;                           \
        TRACEC_USDT1("usdt_args", probe, "0", r_);                             \
    } while (0)

/* The value in a stack slot (a volatile union, so it stays in memory). */
#define IN_MEM(field, type, probe)                                             \
    do {                                                                       \
        slots[1].field = (type)VALUE;                                          \
        TRACEC_USDT1("usdt_args", probe, "0", slots[1].field);                 \
    } while (0)

int main(int argc, char **argv)
{
    (void)argv;
    volatile any_int slots[4];
    if (argc > 1)
        return 0;
    for (int i = 0; i < 4; i++)
        slots[i].u64 = VALUE;

    TRACEC_USDT1("usdt_args", "const_u64", "0", (uint64_t)VALUE);
    TRACEC_USDT1("usdt_args", "const_64", "0", (int64_t)VALUE);
    TRACEC_USDT1("usdt_args", "const_u32", "0", (uint32_t)VALUE);
    TRACEC_USDT1("usdt_args", "const_32", "0", (int32_t)VALUE);
    TRACEC_USDT1("usdt_args", "const_u16", "0", (uint16_t)VALUE);
    TRACEC_USDT1("usdt_args", "const_16", "0", (int16_t)VALUE);
    TRACEC_USDT1("usdt_args", "const_u8", "0", (uint8_t)VALUE);
    TRACEC_USDT1("usdt_args", "const_8", "0", (int8_t)VALUE);

    IN_REG("rax", uint64_t, "reg_u64");
    IN_REG("rax", int64_t, "reg_64");
    IN_REG("eax", uint32_t, "reg_u32");
    IN_REG("eax", int32_t, "reg_32");
    IN_REG("ax", uint16_t, "reg_u16");
    IN_REG("ax", int16_t, "reg_16");
    IN_REG("al", uint8_t, "reg_u8");
    IN_REG("al", int8_t, "reg_8");

    IN_MEM(u64, uint64_t, "addr_u64");
    IN_MEM(i64, int64_t, "addr_64");
    IN_MEM(u32, uint32_t, "addr_u32");
    IN_MEM(i32, int32_t, "addr_32");
    IN_MEM(u16, uint16_t, "addr_u16");
    IN_MEM(i16, int16_t, "addr_16");
    IN_MEM(u8, uint8_t, "addr_u8");
    IN_MEM(i8, int8_t, "addr_8");
    return 0;
}
