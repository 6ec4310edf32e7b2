-- Governance (SPEC G1, G2): the unit tree, scoped roles and the social-organisation registry.
-- `path` is the materialised path of ids, e.g. `/1/4/17/`: "is X within Y" is a prefix test,
-- and a subtree is `path LIKE $1 || '%'`.
CREATE TABLE governance_units (
    id {id},
    parent_id BIGINT REFERENCES governance_units (id),
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    households BIGINT NOT NULL DEFAULT 0,
    residents BIGINT NOT NULL DEFAULT 0,
    party_org_name TEXT NOT NULL DEFAULT '',
    party_secretary TEXT NOT NULL DEFAULT '',
    party_members BIGINT NOT NULL DEFAULT 0,
    sort BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX governance_units_path ON governance_units (path);
CREATE INDEX governance_units_parent ON governance_units (parent_id, sort);
CREATE TABLE governance_memberships (
    user_id BIGINT NOT NULL REFERENCES platform_users (id),
    unit_id BIGINT NOT NULL REFERENCES governance_units (id),
    role TEXT NOT NULL,
    granted_by BIGINT REFERENCES platform_users (id),
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, unit_id)
);
CREATE INDEX governance_memberships_unit ON governance_memberships (unit_id);
CREATE TABLE governance_orgs (
    id {id},
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,
    org_type TEXT NOT NULL,
    -- A calendar date (YYYY-MM-DD), not an instant: it sorts as text on both backends.
    registered_on TEXT NOT NULL,
    legal_rep TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    unit_id BIGINT NOT NULL REFERENCES governance_units (id),
    staff_count BIGINT NOT NULL DEFAULT 0,
    staff_under_35 BIGINT NOT NULL DEFAULT 0,
    staff_35_to_54 BIGINT NOT NULL DEFAULT 0,
    staff_55_plus BIGINT NOT NULL DEFAULT 0,
    volunteers BIGINT NOT NULL DEFAULT 0,
    contact_phone TEXT NOT NULL DEFAULT '',
    hub_role TEXT NOT NULL,
    hub_id BIGINT REFERENCES governance_orgs (id),
    brand BIGINT NOT NULL DEFAULT 0,
    leading_figure TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES platform_users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX governance_orgs_unit ON governance_orgs (unit_id);
CREATE INDEX governance_orgs_hub ON governance_orgs (hub_role, hub_id);
CREATE TABLE governance_org_fields (
    org_id BIGINT NOT NULL REFERENCES governance_orgs (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    PRIMARY KEY (org_id, field)
);
CREATE INDEX governance_org_fields_field ON governance_org_fields (field);
