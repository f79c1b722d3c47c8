//! Lowering of the checked AST to the IR.
