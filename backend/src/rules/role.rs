//! Roles and what each may do. The README's matrix is generated from [`MATRIX`] and
//! checked by a test.

use super::state::State;
text_enum! {
    /// A user's role.
    pub enum Role {
        Admin = "admin" / "Administrator",
        AssetManager = "asset_manager" / "Asset manager",
        Refurbisher = "refurbisher" / "Refurbisher",
        Sustainability = "sustainability" / "Sustainability analyst",
        Auditor = "auditor" / "Auditor (read-only)",
    }
}

text_enum! {
    /// What a route requires.
    pub enum Permission {
        Public = "public" / "Anyone, signed in or not",
        SignedIn = "signed_in" / "Own account: password, API tokens, sign-out",
        Read = "read" / "Read the registry, sites and catalog",
        RegistryWrite = "registry_write" / "Register and edit assets; create and edit sites and models",
        Lifecycle = "lifecycle" / "Change states; install and remove parts",
        Bench = "bench" / "Repairs, dismantle jobs, harvest and the spare pool; recycling lots and downstream vendors",
        ReadAudit = "read_audit" / "Browse the audit trail and check its chain",
        ManageFactors = "manage_factors" / "Edit the reference factors (material content, recovery yields)",
        ManageUsers = "manage_users" / "Create users, change roles, deactivate",
        Decide = "decide" / "Accept next-life suggestions; refresh the fleet view",
        ManagePolicy = "manage_policy" / "Check, dry-run and save policy versions",
    }
}

/// Which role holds which permission.
pub const MATRIX: &[(Permission, &[Role])] = &[
    (Permission::Public, &[Role::Admin, Role::AssetManager, Role::Refurbisher, Role::Sustainability, Role::Auditor]),
    (Permission::SignedIn, &[Role::Admin, Role::AssetManager, Role::Refurbisher, Role::Sustainability, Role::Auditor]),
    (Permission::Read, &[Role::Admin, Role::AssetManager, Role::Refurbisher, Role::Sustainability, Role::Auditor]),
    (Permission::RegistryWrite, &[Role::Admin, Role::AssetManager]),
    (Permission::Lifecycle, &[Role::Admin, Role::AssetManager, Role::Refurbisher]),
    (Permission::Bench, &[Role::Admin, Role::AssetManager, Role::Refurbisher]),
    (Permission::ReadAudit, &[Role::Admin, Role::Auditor]),
    (Permission::ManageFactors, &[Role::Admin]),
    (Permission::ManageUsers, &[Role::Admin]),
    (Permission::Decide, &[Role::Admin, Role::AssetManager]),
    (Permission::ManagePolicy, &[Role::Admin]),
];

/// The states a refurbisher may move items to: repair, sanitization, dismantling,
/// recycling and recovery, and back to stock after a repair or harvest. Deploying,
/// retiring, selling and writing off are asset managers' decisions.
pub const REFURBISHER_STATES: &[State] =
    &[State::InRepair, State::InStock, State::Sanitized, State::Dismantled, State::InRecycling, State::Recovered];

impl Role {
    pub fn allows(self, p: Permission) -> bool {
        MATRIX.iter().any(|(perm, roles)| *perm == p && roles.contains(&self))
    }

    /// Whether this role may move an item to `to` (on top of [`Permission::Lifecycle`]).
    pub fn may_transition_to(self, to: State) -> bool {
        match self {
            Role::Admin | Role::AssetManager => true,
            Role::Refurbisher => REFURBISHER_STATES.contains(&to),
            Role::Sustainability | Role::Auditor => false,
        }
    }
}

/// The role matrix as Markdown (the README embeds it; a test keeps them equal).
pub fn matrix_markdown() -> String {
    let mut out = String::from("| permission |");
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.as_str()));
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str(":---:|");
    }
    out.push('\n');
    for (perm, _) in MATRIX.iter().filter(|(p, _)| *p != Permission::Public) {
        out.push_str(&format!("| {} (`{}`) |", perm.label(), perm.as_str()));
        for r in Role::ALL {
            let mark = match (r.allows(*perm), *perm == Permission::Lifecycle && *r == Role::Refurbisher) {
                (true, true) => "✓ ¹",
                (true, false) => "✓",
                (false, _) => "",
            };
            out.push_str(&format!(" {mark} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_users_and_auditors_only_read() {
        for r in Role::ALL {
            assert_eq!(r.allows(Permission::ManageUsers), *r == Role::Admin);
            assert!(r.allows(Permission::Read));
        }
        for p in [Permission::RegistryWrite, Permission::Lifecycle, Permission::ManageUsers, Permission::Bench] {
            assert!(!Role::Auditor.allows(p), "{p}");
            assert!(!Role::Sustainability.allows(p), "{p}");
        }
        assert!(Role::Auditor.allows(Permission::ReadAudit));
        assert!(Role::Admin.allows(Permission::ManageFactors) && !Role::AssetManager.allows(Permission::ManageFactors));
        assert!(!Role::AssetManager.allows(Permission::ReadAudit));
        assert!(Role::Refurbisher.may_transition_to(State::Dismantled));
        assert!(!Role::Refurbisher.may_transition_to(State::TransferredOut));
    }

    #[test]
    fn readme_holds_the_same_matrix() {
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(&matrix_markdown()),
            "README.md's role matrix differs from auth::role::MATRIX; paste:\n{}",
            matrix_markdown()
        );
    }
}
