//! Semantic analysis: names, types, map key/value inference, probe contexts.
