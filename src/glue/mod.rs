//! witx glue (being written).
