#ifndef TYPES_H
#define TYPES_H
struct point { int x; int y; };
#endif
