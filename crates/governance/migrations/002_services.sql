-- The service network (SPEC G3): service points with their opening hours, a taxonomy of
-- community service categories, and the services that organisations (or units) offer, linked
-- to the points where they are delivered. Every published row carries a stable UUID for the
-- Open Referral HSDS 3.0 publication (derived from our ids when the row is created, then kept:
-- imports match on it). Scope: a service point belongs to its unit; a service to its
-- organisation's home unit, or to its own unit when a unit offers it.
CREATE TABLE governance_service_points (
    id {id},
    uuid TEXT UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    unit_id BIGINT NOT NULL REFERENCES governance_units (id),
    contact_phone TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX governance_service_points_unit ON governance_service_points (unit_id);
-- Opening hours: one row per weekday (1 = Monday … 7 = Sunday) and opening, times as HH:MM.
CREATE TABLE governance_point_hours (
    point_id BIGINT NOT NULL REFERENCES governance_service_points (id) ON DELETE CASCADE,
    weekday BIGINT NOT NULL,
    opens TEXT NOT NULL,
    closes TEXT NOT NULL,
    PRIMARY KEY (point_id, weekday, opens)
);
CREATE TABLE governance_taxonomies (
    id {id},
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT ''
);
CREATE TABLE governance_taxonomy_terms (
    id {id},
    uuid TEXT NOT NULL UNIQUE,
    taxonomy_id BIGINT NOT NULL REFERENCES governance_taxonomies (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    parent_id BIGINT REFERENCES governance_taxonomy_terms (id),
    sort BIGINT NOT NULL DEFAULT 0,
    UNIQUE (taxonomy_id, code)
);
-- A service is offered by an organisation (org_id) or directly by a unit (unit_id, org_id NULL).
CREATE TABLE governance_services (
    id {id},
    uuid TEXT UNIQUE,
    org_id BIGINT REFERENCES governance_orgs (id),
    unit_id BIGINT REFERENCES governance_units (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    schedule TEXT NOT NULL DEFAULT '',
    eligibility TEXT NOT NULL DEFAULT '',
    capacity BIGINT,
    contact_phone TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    created_by BIGINT REFERENCES platform_users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX governance_services_org ON governance_services (org_id);
CREATE INDEX governance_services_unit ON governance_services (unit_id);
CREATE TABLE governance_service_terms (
    service_id BIGINT NOT NULL REFERENCES governance_services (id) ON DELETE CASCADE,
    term_id BIGINT NOT NULL REFERENCES governance_taxonomy_terms (id),
    PRIMARY KEY (service_id, term_id)
);
CREATE INDEX governance_service_terms_term ON governance_service_terms (term_id);
CREATE TABLE governance_service_at_location (
    id {id},
    uuid TEXT UNIQUE,
    service_id BIGINT NOT NULL REFERENCES governance_services (id) ON DELETE CASCADE,
    point_id BIGINT NOT NULL REFERENCES governance_service_points (id),
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (service_id, point_id)
);
CREATE INDEX governance_service_at_location_point ON governance_service_at_location (point_id);
-- The HSDS UUID of each organisation (given on first publication, or by an import).
CREATE TABLE governance_org_uuids (
    org_id BIGINT PRIMARY KEY REFERENCES governance_orgs (id),
    uuid TEXT NOT NULL UNIQUE
);
-- Our own taxonomy of community service categories (UUIDs derived from "term:<taxonomy>:<code>").
INSERT INTO governance_taxonomies (uuid, name, description, version) VALUES ('0c9aa356-b404-8c36-b3fd-bc1338d21b37', 'gongzhi-community-services', '共治社区服务分类：社区生活服务的类别，用于服务的登记、检索与对接。', '1.0');
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('8e1ae3c0-d3be-8978-9ef6-57acfc1212e6', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'elderly', '养老服务', 'Elderly care', '为老年人提供的照料、关爱与支持服务。', NULL, 1);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('47e8f63c-f0cc-8196-b719-22c4a3cd3fba', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'meal_aid', '助餐服务', 'Meal aid', '社区食堂、长者助餐点与送餐上门。', (SELECT p.id FROM governance_taxonomy_terms p WHERE p.code = 'elderly'), 2);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('20d01a20-933e-8618-a744-74821e47841f', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'home_care', '居家照护', 'Home care', '上门照护、探访与居家安全支持。', (SELECT p.id FROM governance_taxonomy_terms p WHERE p.code = 'elderly'), 3);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('ed934ede-3ece-8ae0-95e1-33dbc1586f07', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'day_care', '日间照料', 'Day care', '白天托老、康复活动与午休照料。', (SELECT p.id FROM governance_taxonomy_terms p WHERE p.code = 'elderly'), 4);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('3fc13314-6f6e-8e57-82e2-c6f465e4df0c', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'childcare', '托育服务', 'Childcare', '三岁以下婴幼儿照护与家庭育儿支持。', NULL, 5);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('09de59f4-5544-8908-95f2-11134a0edc3b', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'after_school', '课后托管', 'After-school care', '放学后的看护、作业辅导与兴趣活动。', (SELECT p.id FROM governance_taxonomy_terms p WHERE p.code = 'childcare'), 6);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('cd11bd30-c4b0-829d-8d4b-e2dec8be36be', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'youth', '青少年成长', 'Youth development', '青少年成长陪伴、学业支持与社会实践。', NULL, 7);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('b2a78237-fc6d-82d0-855f-8bb9df3ae434', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'employment', '就业服务', 'Employment', '岗位信息、求职指导与创业扶持。', NULL, 8);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('66cc6c85-844e-8175-9d08-cb55d66774fc', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'job_training', '技能培训', 'Skills training', '职业技能与数字技能培训。', (SELECT p.id FROM governance_taxonomy_terms p WHERE p.code = 'employment'), 9);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('b0594e5a-839a-8309-80b1-a3db79b1f311', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'legal_aid', '法律援助', 'Legal aid', '法律咨询、援助申请与普法宣传。', NULL, 10);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('1da74e09-2f46-8c37-9908-30ca36ffdaae', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'mediation', '矛盾调解', 'Mediation', '邻里纠纷与家庭矛盾的人民调解。', (SELECT p.id FROM governance_taxonomy_terms p WHERE p.code = 'legal_aid'), 11);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('f50d8028-c098-8539-a863-710ba8fca268', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'counselling', '心理咨询', 'Counselling', '心理疏导、情绪支持与危机转介。', NULL, 12);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('19734e89-7c4c-86c4-858a-e0e1e945eea8', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'volunteering', '志愿服务', 'Volunteering', '志愿者招募、培训与志愿活动。', NULL, 13);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('99106646-2836-820b-aace-ef80d6273fd5', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'culture_sports', '文体活动', 'Culture and sports', '文艺、健身、读书等群众文体活动。', NULL, 14);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('511c817b-9c85-81c1-a895-a1bc8356f6b1', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'health', '健康服务', 'Health', '健康讲座、义诊与慢病管理支持。', NULL, 15);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('2bc2241f-dff0-87a9-9dd0-c705012741c2', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'disability', '助残服务', 'Disability support', '残疾人康复、辅具与就业支持。', NULL, 16);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('98512b73-49a6-8719-bc71-624a100ae64c', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'family', '家庭服务', 'Family support', '家庭教育、婚姻家庭辅导与亲子活动。', NULL, 17);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('b054a7a1-66b0-82a4-beb7-32da2c808917', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'relief', '困难帮扶', 'Relief', '困难家庭救助、物资帮扶与政策咨询。', NULL, 18);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('dc28e449-309f-8810-9edd-bd27a0172805', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'convenience', '便民服务', 'Everyday services', '代办、维修、家政等日常便民服务。', NULL, 19);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('312a53a6-6736-829d-833a-c1fe6d370400', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'environment', '环境与垃圾分类', 'Environment', '垃圾分类指导与社区环境治理。', NULL, 20);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('314005e4-d320-807e-9b4d-843c011af69c', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'office_workers', '楼宇白领服务', 'Office workers', '面向楼宇白领的午间活动、交友与职业服务。', NULL, 21);
INSERT INTO governance_taxonomy_terms (uuid, taxonomy_id, code, name, name_en, description, parent_id, sort) VALUES ('bac0c867-af7f-8684-b017-b9a7aa057418', (SELECT t.id FROM governance_taxonomies t WHERE t.name = 'gongzhi-community-services'), 'party_service', '党群服务', 'Party-mass services', '党员活动、群众议事与党群阵地开放。', NULL, 22);
