"""A catalogue of statements: the Cypher each compiles to and the rows it returns.

``tests/unit/test_compiler.py`` checks the Cypher and parameters;
``tests/live/test_catalogue.py`` runs every entry on embedded FalkorDB against
:func:`load_dataset` and checks the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from runic.ogm import Session, select
from runic.ogm.driver.base import GraphDriver
from runic.ogm.model.node import Node
from runic.ogm.query import avg, collect, count, max_, min_, sum_
from runic.ogm.query.statement import Select
from tests.models import Admin, Article, Friendship, User


def moment(day: int, month: int = 1) -> datetime:
    return datetime(2024, month, day, 12, tzinfo=UTC)


USERS = [
    User(
        id="alice",
        name="Alice",
        email="a@x.org",
        city="Berlin",
        region="EU",
        age=31,
        tags=["py", "graph"],
    ),
    User(id="bob", name="Bob", email="b@x.org", city="Berlin", region="EU", age=25, active=False),
    User(
        id="carol", name="Carol", email="c@x.org", city="Paris", region="EU", age=40, tags=["graph"]
    ),
    User(id="dave", name="Dave", email="d@x.org", age=19),
]
ADMINS = [
    Admin(id="erin", name="Erin", email="e@x.org", city="Paris", region="EU", age=35, level=3)
]
ARTICLES = [
    Article(id="a1", title="Graphs 101", published=True, published_at=moment(10)),
    Article(id="a2", title="Draft", published=False),
    Article(id="a3", title="Cypher tips", published=True, published_at=moment(1, 2)),
    Article(id="a4", title="Old news", published=True, published_at=moment(1)),
    Article(id="a5", title="Admin notes", published=True, published_at=moment(20)),
]
WROTE = [("alice", "a1"), ("alice", "a2"), ("carol", "a3"), ("bob", "a4"), ("erin", "a5")]
FRIENDS = [("alice", "bob"), ("bob", "carol")]


def load_dataset(driver: GraphDriver) -> None:
    """Write the dataset through a Session (fresh copies, so every test starts clean)."""
    with Session(driver) as session:
        copies: dict[str, Node] = {}
        for entity in (*USERS, *ADMINS, *ARTICLES):
            fields = type(entity).__runic__.fields
            copies[entity.id] = type(entity)(**{name: getattr(entity, name) for name in fields})
        session.add_all(copies.values())
        for author, article in WROTE:
            session.relate(copies[author], User.articles, copies[article])
        for source, target in FRIENDS:
            session.relate(
                copies[source],
                User.best_friend,
                copies[target],
                edge=Friendship(since=date(2020, 1, 1)),
            )


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], Select[Any]]
    cypher: str
    params: dict[str, Any]
    #: Entity statements: the keys returned, in order. Aggregates: the rows.
    expected: list[Any]
    ordered: bool = True


CASES = [
    Case(
        "all",
        lambda: select(User),
        "MATCH (n:`User`)\nRETURN n",
        {},
        ["alice", "bob", "carol", "dave", "erin"],
        ordered=False,
    ),
    Case("subclass", lambda: select(Admin), "MATCH (n:`User`:`Admin`)\nRETURN n", {}, ["erin"]),
    Case(
        "eq",
        lambda: select(User).where(User.name == "Alice"),
        "MATCH (n:`User`)\nWHERE n.`name` = $p0\nRETURN n",
        {"p0": "Alice"},
        ["alice"],
    ),
    Case(
        "ne",
        lambda: select(User).where(User.city != "Berlin").order_by(User.id),
        "MATCH (n:`User`)\nWHERE n.`city` <> $p0\nRETURN n\nORDER BY n.`id`",
        {"p0": "Berlin"},
        ["carol", "erin"],
    ),
    Case(
        "lt",
        lambda: select(User).where(User.age < 25).order_by(User.id),
        "MATCH (n:`User`)\nWHERE n.`age` < $p0\nRETURN n\nORDER BY n.`id`",
        {"p0": 25},
        ["dave"],
    ),
    Case(
        "le",
        lambda: select(User).where(User.age <= 25).order_by(User.id),
        "MATCH (n:`User`)\nWHERE n.`age` <= $p0\nRETURN n\nORDER BY n.`id`",
        {"p0": 25},
        ["bob", "dave"],
    ),
    Case(
        "gt",
        lambda: select(User).where(User.age > 35).order_by(User.id),
        "MATCH (n:`User`)\nWHERE n.`age` > $p0\nRETURN n\nORDER BY n.`id`",
        {"p0": 35},
        ["carol"],
    ),
    Case(
        "ge",
        lambda: select(User).where(User.age >= 35).order_by(User.id),
        "MATCH (n:`User`)\nWHERE n.`age` >= $p0\nRETURN n\nORDER BY n.`id`",
        {"p0": 35},
        ["carol", "erin"],
    ),
    Case(
        "in",
        lambda: select(User).where(User.id.in_(["bob", "dave", "zed"])).order_by(User.id),
        "MATCH (n:`User`)\nWHERE n.`id` IN $p0\nRETURN n\nORDER BY n.`id`",
        {"p0": ["bob", "dave", "zed"]},
        ["bob", "dave"],
    ),
    Case(
        "not_in",
        lambda: select(User).where(User.id.not_in(["bob", "dave"])).order_by(User.id),
        "MATCH (n:`User`)\nWHERE NOT (n.`id` IN $p0)\nRETURN n\nORDER BY n.`id`",
        {"p0": ["bob", "dave"]},
        ["alice", "carol", "erin"],
    ),
    Case(
        "contains",
        lambda: select(User).where(User.email.contains("@x")).order_by(User.id).limit(2),
        "MATCH (n:`User`)\nWHERE n.`email` CONTAINS $p0\nRETURN n\nORDER BY n.`id`\nLIMIT $limit",
        {"p0": "@x", "limit": 2},
        ["alice", "bob"],
    ),
    Case(
        "list_contains",
        lambda: select(User).where(User.tags.contains("graph")).order_by(User.id),
        "MATCH (n:`User`)\nWHERE $p0 IN n.`tags`\nRETURN n\nORDER BY n.`id`",
        {"p0": "graph"},
        ["alice", "carol"],
    ),
    Case(
        "startswith",
        lambda: select(User).where(User.name.startswith("Ca")),
        "MATCH (n:`User`)\nWHERE n.`name` STARTS WITH $p0\nRETURN n",
        {"p0": "Ca"},
        ["carol"],
    ),
    Case(
        "endswith",
        lambda: select(User).where(User.name.endswith("ve")),
        "MATCH (n:`User`)\nWHERE n.`name` ENDS WITH $p0\nRETURN n",
        {"p0": "ve"},
        ["dave"],
    ),
    Case(
        "is_null",
        lambda: select(User).where(User.city.is_null()),
        "MATCH (n:`User`)\nWHERE n.`city` IS NULL\nRETURN n",
        {},
        ["dave"],
    ),
    Case(
        "eq_none",
        lambda: select(User).where(User.city == None),
        "MATCH (n:`User`)\nWHERE n.`city` IS NULL\nRETURN n",
        {},
        ["dave"],
    ),
    Case(
        "is_not_null",
        lambda: select(User).where(User.city.is_not_null()).order_by(User.id),
        "MATCH (n:`User`)\nWHERE n.`city` IS NOT NULL\nRETURN n\nORDER BY n.`id`",
        {},
        ["alice", "bob", "carol", "erin"],
    ),
    Case(
        "and",
        lambda: (
            select(User).where((User.active == True) & (User.region == "EU")).order_by(User.name)
        ),
        "MATCH (n:`User`)\nWHERE n.`active` = $p0 AND n.`region` = $p1\nRETURN n\n"
        "ORDER BY n.`name`",
        {"p0": True, "p1": "EU"},
        ["alice", "carol", "erin"],
    ),
    Case(
        "where_twice",
        lambda: select(User).where(User.active == True).where(User.city == "Berlin"),
        "MATCH (n:`User`)\nWHERE n.`active` = $p0 AND n.`city` = $p1\nRETURN n",
        {"p0": True, "p1": "Berlin"},
        ["alice"],
    ),
    Case(
        "or_not",
        lambda: select(User).where((User.city == "Paris") | ~(User.age > 20)).order_by(User.id),
        "MATCH (n:`User`)\nWHERE (n.`city` = $p0 OR NOT (n.`age` > $p1))\nRETURN n\n"
        "ORDER BY n.`id`",
        {"p0": "Paris", "p1": 20},
        ["carol", "dave", "erin"],
    ),
    Case(
        "order_desc_skip_limit",
        lambda: select(User).order_by(User.age, desc=True).skip(1).limit(2),
        "MATCH (n:`User`)\nRETURN n\nORDER BY n.`age` DESC\nSKIP $skip\nLIMIT $limit",
        {"skip": 1, "limit": 2},
        ["erin", "alice"],
    ),
    Case(
        "order_two_keys",
        lambda: (
            select(User)
            .where(User.city.is_not_null())
            .order_by(User.city)
            .order_by(User.name, desc=True)
        ),
        "MATCH (n:`User`)\nWHERE n.`city` IS NOT NULL\nRETURN n\nORDER BY n.`city`, n.`name` DESC",
        {},
        ["bob", "alice", "erin", "carol"],
    ),
    Case(
        "published_feed",
        lambda: (
            select(Article)
            .where(Article.published == True)
            .order_by(Article.published_at, desc=True)
            .limit(20)
        ),
        "MATCH (n:`Article`)\nWHERE n.`published` = $p0\nRETURN n\n"
        "ORDER BY n.`published_at` DESC\nLIMIT $limit",
        {"p0": True, "limit": 20},
        ["a3", "a5", "a1", "a4"],
    ),
    Case(
        "datetime_range",
        lambda: (
            select(Article).where(Article.published_at >= moment(10)).order_by(Article.published_at)
        ),
        "MATCH (n:`Article`)\nWHERE n.`published_at` >= $p0\nRETURN n\nORDER BY n.`published_at`",
        {"p0": "2024-01-10T12:00:00.000000+00:00"},
        ["a1", "a5", "a3"],
    ),
    Case(
        "traverse_return_target",
        lambda: (
            select(User)
            .where(User.id == "alice")
            .alias("u")
            .traverse(User.articles)
            .alias("a")
            .return_target()
        ),
        "MATCH (`u`:`User`)\nWHERE `u`.`id` = $p0\nMATCH (`u`)-[r1:`WROTE`]->(`a`:`Article`)\n"
        "RETURN `a`",
        {"p0": "alice"},
        ["a1", "a2"],
        ordered=False,
    ),
    Case(
        "traverse_filter_target",
        lambda: select(User).traverse(User.articles).where(Article.published == False),
        "MATCH (n:`User`)\nMATCH (n)-[r1:`WROTE`]->(n1:`Article`)\n"
        "WHERE n1.`published` = $p0\nRETURN DISTINCT n",
        {"p0": False},
        ["alice"],
    ),
    Case(
        "traverse_incoming",
        lambda: select(Article).where(Article.id == "a3").traverse(Article.author).return_target(),
        "MATCH (n:`Article`)\nWHERE n.`id` = $p0\nMATCH (n)<-[r1:`WROTE`]-(n1:`User`)\nRETURN n1",
        {"p0": "a3"},
        ["carol"],
    ),
    Case(
        "traverse_two_hops",
        lambda: (
            select(User)
            .where(User.id == "alice")
            .traverse(User.best_friend)
            .traverse(User.articles)
            .return_target()
        ),
        "MATCH (n:`User`)\nWHERE n.`id` = $p0\nMATCH (n)-[r1:`FRIEND`]->(n1:`User`)\n"
        "MATCH (n1)-[r2:`WROTE`]->(n2:`Article`)\nRETURN n2",
        {"p0": "alice"},
        ["a4"],
    ),
    Case(
        "distinct",
        lambda: (
            select(User)
            .traverse(User.articles)
            .return_target()
            .traverse(Article.author)
            .return_target()
            .distinct()
        ),
        "MATCH (n:`User`)\nMATCH (n)-[r1:`WROTE`]->(n1:`Article`)\n"
        "MATCH (n1)<-[r2:`WROTE`]-(n2:`User`)\nRETURN DISTINCT n2",
        {},
        ["alice", "bob", "carol", "erin"],
        ordered=False,
    ),
    Case(
        "count_by_city",
        lambda: (
            select(User)
            .aggregate(count("*").as_("total"), group_by="n.city")
            .order_by("total", desc=True)
            .order_by("n.city")
        ),
        "MATCH (n:`User`)\nRETURN n.`city` AS `n.city`, count(*) AS `total`\n"
        "ORDER BY `total` DESC, `n.city`",
        {},
        [
            {"n.city": "Berlin", "total": 2},
            {"n.city": "Paris", "total": 2},
            {"n.city": None, "total": 1},
        ],
    ),
    Case(
        "aggregates",
        lambda: (
            select(User)
            .where(User.age.is_not_null())
            .aggregate(
                sum_(User.age).as_("sum"),
                avg(User.age).as_("avg"),
                min_(User.age).as_("min"),
                max_(User.age).as_("max"),
                count(User.city, distinct=True).as_("cities"),
            )
        ),
        "MATCH (n:`User`)\nWHERE n.`age` IS NOT NULL\nRETURN sum(n.`age`) AS `sum`, "
        "avg(n.`age`) AS `avg`, min(n.`age`) AS `min`, max(n.`age`) AS `max`, "
        "count(DISTINCT n.`city`) AS `cities`",
        {},
        [{"sum": 150, "avg": 30.0, "min": 19, "max": 40, "cities": 2}],
    ),
    Case(
        "collect_group_by_field",
        lambda: (
            select(User)
            .where(User.city.is_not_null())
            .aggregate(collect(User.name).as_("names"), group_by=User.city)
            .order_by(User.city)
        ),
        "MATCH (n:`User`)\nWHERE n.`city` IS NOT NULL\nRETURN n.`city` AS `n.city`, "
        "collect(n.`name`) AS `names`\nORDER BY `n.city`",
        {},
        [
            {"n.city": "Berlin", "names": ["Alice", "Bob"]},
            {"n.city": "Paris", "names": ["Carol", "Erin"]},
        ],
    ),
    Case(
        "aggregate_over_traversal",
        lambda: (
            select(User)
            .alias("u")
            .traverse(User.articles)
            .alias("a")
            .where(Article.published == True)
            .aggregate(
                count("a").as_("articles"), max_("a.published_at").as_("latest"), group_by="u.id"
            )
            .order_by("u.id")
        ),
        "MATCH (`u`:`User`)\nMATCH (`u`)-[r1:`WROTE`]->(`a`:`Article`)\nWHERE `a`.`published` = $p0\n"
        "RETURN `u`.`id` AS `u.id`, count(`a`) AS `articles`, max(`a`.`published_at`) AS `latest`\n"
        "ORDER BY `u.id`",
        {"p0": True},
        [
            {"u.id": "alice", "articles": 1, "latest": moment(10)},
            {"u.id": "bob", "articles": 1, "latest": moment(1)},
            {"u.id": "carol", "articles": 1, "latest": moment(1, 2)},
            {"u.id": "erin", "articles": 1, "latest": moment(20)},
        ],
    ),
]
