"""Schema from models: declare indexes and constraints, then sync the graph to them.

Shown in docs/schema.rst; the test suite runs it and checks what it prints.
"""

from __future__ import annotations

from redislite import FalkorDB

from runic.ogm import Field, Mapped, Node, Session, Vector
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.exceptions import ConstraintViolationError
from runic.ogm.schema import schema_diff, sync_schema


# [models]
class Customer(Node):
    id: Mapped[str] = Field(primary_key=True)  # a primary key is unique
    email: Mapped[str] = Field(unique=True)  # a unique constraint (and its range index)
    country: Mapped[str] = Field(index=True)  # a range index
    bio: Mapped[str] = Field(fulltext=True, default="")  # a fulltext index
    taste: Mapped[list[float]] = Field(vector=Vector(dim=4, similarity="cosine"))  # a vector index


# [/models]


def main() -> None:
    database = FalkorDB()
    graph = database.select_graph("schema_tour")
    driver = FalkorDBDriver(graph)
    # [sync]
    print(schema_diff(driver, [Customer]))  # what would change; changes nothing

    done = sync_schema(driver, [Customer])  # create what is missing
    print("created:", len(done.created))
    print("second run:", sync_schema(driver, [Customer]))  # idempotent
    # [/sync]

    # [extra]
    graph.query("CREATE INDEX FOR (n:Customer) ON (n.legacy_code)")  # made by hand once
    print(schema_diff(driver, [Customer], drop_extra=True))
    sync_schema(driver, [Customer], drop_extra=True)
    # [/extra]

    # [unique]
    with Session(driver) as session:
        session.add(Customer(id="c1", email="ada@example.com", country="UK", taste=[1, 0, 0, 0]))
    try:
        with Session(driver) as session:
            session.add(
                Customer(id="c2", email="ada@example.com", country="FR", taste=[0, 1, 0, 0])
            )
    except ConstraintViolationError as error:
        print("refused:", error.label, error.field)
    # [/unique]
    graph.delete()
    database.close()


if __name__ == "__main__":
    main()
