//! IP segmentation: CIDR tables for named accounts and a MaxMind DB reader.
