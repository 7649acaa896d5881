//! The targeting condition language and hashing, compatible with GrowthBook.
