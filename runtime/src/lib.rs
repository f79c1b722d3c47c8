//! tracerun library.
