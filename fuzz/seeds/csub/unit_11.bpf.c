#define LOG(...) 0
