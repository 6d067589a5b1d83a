//! money

#[cfg(test)]
mod tests {
    #[test]
    fn it_builds() {}
}
