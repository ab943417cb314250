from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.language_v2 import LanguageV2
from ...models.search_response_v2 import SearchResponseV2
from ...models.sort import Sort
from ...types import UNSET, Response, Unset, status_from_code


def _get_kwargs(
    *,
    img_url: str,
    language: LanguageV2 | Unset = UNSET,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    sort: Sort | Unset = UNSET,
    price_start: str | Unset = UNSET,
    price_end: str | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["img_url"] = img_url

    json_language: str | Unset = UNSET
    if not isinstance(language, Unset):
        json_language = language.value

    params["language"] = json_language

    params["page"] = page

    params["page_size"] = page_size

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort.value

    params["sort"] = json_sort

    params["price_start"] = price_start

    params["price_end"] = price_end

    params["support_dropshipping"] = support_dropshipping

    params["is_factory"] = is_factory

    params["verified_supplier"] = verified_supplier

    params["free_shipping"] = free_shipping

    params["new_arrival"] = new_arrival

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/1688/global/search/image/v2",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | SearchResponseV2 | None:
    if response.status_code == 200:
        response_200 = SearchResponseV2.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 417:
        response_417 = ErrorResponse.from_dict(response.json())

        return response_417

    if response.status_code == 422:
        response_422 = ErrorResponse.from_dict(response.json())

        return response_422

    if response.status_code == 439:
        response_439 = ErrorResponse.from_dict(response.json())

        return response_439

    if response.status_code == 499:
        response_499 = ErrorResponse.from_dict(response.json())

        return response_499

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorResponse | SearchResponseV2]:
    return Response(
        status_code=status_from_code(
            response.status_code
        ),  # openapi-python-client #1442
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    img_url: str,
    language: LanguageV2 | Unset = UNSET,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    sort: Sort | Unset = UNSET,
    price_start: str | Unset = UNSET,
    price_end: str | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> Response[ErrorResponse | SearchResponseV2]:
    """Search 1688 products by image V2 (multilingual)

     The vendor's newer image search ("Search for 1688 products by image V2
    (Multilingual version)"). Like `search_items_by_image`, with its own languages
    (en zh ru vi ja ko), a price range filter (`price_start` / `price_end`), no
    documented maximum page size, and a richer answer: `has_next_page`, `keyword`,
    `cat_id`, and per item `currency`, `moq`, `price_info.sale_price`, shop
    `shop_years` / `score_info.composite_score` / `is_powerful_seller`, and the
    `low_refund_rate` / `ship_in_48h` / `one_piece_min_order` flags.

    `img_url` is a path returned by `convert_image_url` (called with
    `search_api_endpoint: /global/search/image/v2`): the vendor's request example
    passes such a path, and production users report that v2 answers 422 "Invalid
    image url. Please first use the convert endpoint" to an unconverted URL, that
    the conversion returns a different path on each call, and that a converted path
    stays valid for at least about 70 minutes (unverified field reports).

    Counts come as strings (`sale_info.sale_quantity_90days: "0"`) and rates as
    percentage strings (`item_repurchase_rate: "0%"`), as in the vendor's example.

    Args:
        img_url (str):
        language (LanguageV2 | Unset): Language of translated texts in the V2 search: en
            (English), zh (Chinese), ru (Russian), vi (Vietnamese), ja (Japanese), ko (Korean).
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        sort (Sort | Unset): Sort order of the search: default, sales, price_up, price_down.
        price_start (str | Unset):
        price_end (str | Unset):
        support_dropshipping (bool | Unset):
        is_factory (bool | Unset):
        verified_supplier (bool | Unset):
        free_shipping (bool | Unset):
        new_arrival (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | SearchResponseV2]
    """

    kwargs = _get_kwargs(
        img_url=img_url,
        language=language,
        page=page,
        page_size=page_size,
        sort=sort,
        price_start=price_start,
        price_end=price_end,
        support_dropshipping=support_dropshipping,
        is_factory=is_factory,
        verified_supplier=verified_supplier,
        free_shipping=free_shipping,
        new_arrival=new_arrival,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    img_url: str,
    language: LanguageV2 | Unset = UNSET,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    sort: Sort | Unset = UNSET,
    price_start: str | Unset = UNSET,
    price_end: str | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> ErrorResponse | SearchResponseV2 | None:
    """Search 1688 products by image V2 (multilingual)

     The vendor's newer image search ("Search for 1688 products by image V2
    (Multilingual version)"). Like `search_items_by_image`, with its own languages
    (en zh ru vi ja ko), a price range filter (`price_start` / `price_end`), no
    documented maximum page size, and a richer answer: `has_next_page`, `keyword`,
    `cat_id`, and per item `currency`, `moq`, `price_info.sale_price`, shop
    `shop_years` / `score_info.composite_score` / `is_powerful_seller`, and the
    `low_refund_rate` / `ship_in_48h` / `one_piece_min_order` flags.

    `img_url` is a path returned by `convert_image_url` (called with
    `search_api_endpoint: /global/search/image/v2`): the vendor's request example
    passes such a path, and production users report that v2 answers 422 "Invalid
    image url. Please first use the convert endpoint" to an unconverted URL, that
    the conversion returns a different path on each call, and that a converted path
    stays valid for at least about 70 minutes (unverified field reports).

    Counts come as strings (`sale_info.sale_quantity_90days: "0"`) and rates as
    percentage strings (`item_repurchase_rate: "0%"`), as in the vendor's example.

    Args:
        img_url (str):
        language (LanguageV2 | Unset): Language of translated texts in the V2 search: en
            (English), zh (Chinese), ru (Russian), vi (Vietnamese), ja (Japanese), ko (Korean).
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        sort (Sort | Unset): Sort order of the search: default, sales, price_up, price_down.
        price_start (str | Unset):
        price_end (str | Unset):
        support_dropshipping (bool | Unset):
        is_factory (bool | Unset):
        verified_supplier (bool | Unset):
        free_shipping (bool | Unset):
        new_arrival (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | SearchResponseV2
    """

    return sync_detailed(
        client=client,
        img_url=img_url,
        language=language,
        page=page,
        page_size=page_size,
        sort=sort,
        price_start=price_start,
        price_end=price_end,
        support_dropshipping=support_dropshipping,
        is_factory=is_factory,
        verified_supplier=verified_supplier,
        free_shipping=free_shipping,
        new_arrival=new_arrival,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    img_url: str,
    language: LanguageV2 | Unset = UNSET,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    sort: Sort | Unset = UNSET,
    price_start: str | Unset = UNSET,
    price_end: str | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> Response[ErrorResponse | SearchResponseV2]:
    """Search 1688 products by image V2 (multilingual)

     The vendor's newer image search ("Search for 1688 products by image V2
    (Multilingual version)"). Like `search_items_by_image`, with its own languages
    (en zh ru vi ja ko), a price range filter (`price_start` / `price_end`), no
    documented maximum page size, and a richer answer: `has_next_page`, `keyword`,
    `cat_id`, and per item `currency`, `moq`, `price_info.sale_price`, shop
    `shop_years` / `score_info.composite_score` / `is_powerful_seller`, and the
    `low_refund_rate` / `ship_in_48h` / `one_piece_min_order` flags.

    `img_url` is a path returned by `convert_image_url` (called with
    `search_api_endpoint: /global/search/image/v2`): the vendor's request example
    passes such a path, and production users report that v2 answers 422 "Invalid
    image url. Please first use the convert endpoint" to an unconverted URL, that
    the conversion returns a different path on each call, and that a converted path
    stays valid for at least about 70 minutes (unverified field reports).

    Counts come as strings (`sale_info.sale_quantity_90days: "0"`) and rates as
    percentage strings (`item_repurchase_rate: "0%"`), as in the vendor's example.

    Args:
        img_url (str):
        language (LanguageV2 | Unset): Language of translated texts in the V2 search: en
            (English), zh (Chinese), ru (Russian), vi (Vietnamese), ja (Japanese), ko (Korean).
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        sort (Sort | Unset): Sort order of the search: default, sales, price_up, price_down.
        price_start (str | Unset):
        price_end (str | Unset):
        support_dropshipping (bool | Unset):
        is_factory (bool | Unset):
        verified_supplier (bool | Unset):
        free_shipping (bool | Unset):
        new_arrival (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | SearchResponseV2]
    """

    kwargs = _get_kwargs(
        img_url=img_url,
        language=language,
        page=page,
        page_size=page_size,
        sort=sort,
        price_start=price_start,
        price_end=price_end,
        support_dropshipping=support_dropshipping,
        is_factory=is_factory,
        verified_supplier=verified_supplier,
        free_shipping=free_shipping,
        new_arrival=new_arrival,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    img_url: str,
    language: LanguageV2 | Unset = UNSET,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    sort: Sort | Unset = UNSET,
    price_start: str | Unset = UNSET,
    price_end: str | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> ErrorResponse | SearchResponseV2 | None:
    """Search 1688 products by image V2 (multilingual)

     The vendor's newer image search ("Search for 1688 products by image V2
    (Multilingual version)"). Like `search_items_by_image`, with its own languages
    (en zh ru vi ja ko), a price range filter (`price_start` / `price_end`), no
    documented maximum page size, and a richer answer: `has_next_page`, `keyword`,
    `cat_id`, and per item `currency`, `moq`, `price_info.sale_price`, shop
    `shop_years` / `score_info.composite_score` / `is_powerful_seller`, and the
    `low_refund_rate` / `ship_in_48h` / `one_piece_min_order` flags.

    `img_url` is a path returned by `convert_image_url` (called with
    `search_api_endpoint: /global/search/image/v2`): the vendor's request example
    passes such a path, and production users report that v2 answers 422 "Invalid
    image url. Please first use the convert endpoint" to an unconverted URL, that
    the conversion returns a different path on each call, and that a converted path
    stays valid for at least about 70 minutes (unverified field reports).

    Counts come as strings (`sale_info.sale_quantity_90days: "0"`) and rates as
    percentage strings (`item_repurchase_rate: "0%"`), as in the vendor's example.

    Args:
        img_url (str):
        language (LanguageV2 | Unset): Language of translated texts in the V2 search: en
            (English), zh (Chinese), ru (Russian), vi (Vietnamese), ja (Japanese), ko (Korean).
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        sort (Sort | Unset): Sort order of the search: default, sales, price_up, price_down.
        price_start (str | Unset):
        price_end (str | Unset):
        support_dropshipping (bool | Unset):
        is_factory (bool | Unset):
        verified_supplier (bool | Unset):
        free_shipping (bool | Unset):
        new_arrival (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | SearchResponseV2
    """

    return (
        await asyncio_detailed(
            client=client,
            img_url=img_url,
            language=language,
            page=page,
            page_size=page_size,
            sort=sort,
            price_start=price_start,
            price_end=price_end,
            support_dropshipping=support_dropshipping,
            is_factory=is_factory,
            verified_supplier=verified_supplier,
            free_shipping=free_shipping,
            new_arrival=new_arrival,
        )
    ).parsed
