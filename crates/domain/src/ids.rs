//! Typed identifiers: a `RoomId` can never be passed where a `PersonId` is expected.

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
        }
    )*};
}

id_type!(
    OrgId, PersonId, RoomId, InputId, MeetingId, BusinessId, AccountId
);
