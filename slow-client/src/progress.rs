//! Live progress (placeholder until written below).
