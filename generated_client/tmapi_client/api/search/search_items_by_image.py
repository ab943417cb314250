from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.language import Language
from ...models.search_response import SearchResponse
from ...models.sort import Sort
from ...types import UNSET, Response, Unset, status_from_code


def _get_kwargs(
    *,
    img_url: str,
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    language: Language | Unset = UNSET,
    sort: Sort | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["img_url"] = img_url

    params["page"] = page

    params["page_size"] = page_size

    json_language: str | Unset = UNSET
    if not isinstance(language, Unset):
        json_language = language.value

    params["language"] = json_language

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort.value

    params["sort"] = json_sort

    params["support_dropshipping"] = support_dropshipping

    params["is_factory"] = is_factory

    params["verified_supplier"] = verified_supplier

    params["free_shipping"] = free_shipping

    params["new_arrival"] = new_arrival

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/1688/global/search/image",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | SearchResponse | None:
    if response.status_code == 200:
        response_200 = SearchResponse.from_dict(response.json())

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
) -> Response[ErrorResponse | SearchResponse]:
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
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    language: Language | Unset = UNSET,
    sort: Sort | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> Response[ErrorResponse | SearchResponse]:
    """Search 1688 products by image (multilingual)

     Finds 1688 products that look like the image at `img_url`. Results are paged;
    titles are translated into `language`. Only images hosted on Alibaba-affiliated
    platforms can be searched; any other image must first be converted with
    `convert_image_url` and the returned path passed as `img_url`.

    `data.page_size` echoes the page size of the answer, which may be smaller than the
    requested one while `total_count` is larger: a short page is not proof of the last
    page.

    Args:
        img_url (str):
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        language (Language | Unset): Language of translated texts: en (English), zh (Chinese), ru
            (Russian), th (Thai), pt (Portuguese), es (Spanish), tr (Turkish), vi (Vietnamese), ja
            (Japanese), ko (Korean).
        sort (Sort | Unset): Sort order of the search: default, sales, price_up, price_down.
        support_dropshipping (bool | Unset):
        is_factory (bool | Unset):
        verified_supplier (bool | Unset):
        free_shipping (bool | Unset):
        new_arrival (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | SearchResponse]
    """

    kwargs = _get_kwargs(
        img_url=img_url,
        page=page,
        page_size=page_size,
        language=language,
        sort=sort,
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
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    language: Language | Unset = UNSET,
    sort: Sort | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> ErrorResponse | SearchResponse | None:
    """Search 1688 products by image (multilingual)

     Finds 1688 products that look like the image at `img_url`. Results are paged;
    titles are translated into `language`. Only images hosted on Alibaba-affiliated
    platforms can be searched; any other image must first be converted with
    `convert_image_url` and the returned path passed as `img_url`.

    `data.page_size` echoes the page size of the answer, which may be smaller than the
    requested one while `total_count` is larger: a short page is not proof of the last
    page.

    Args:
        img_url (str):
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        language (Language | Unset): Language of translated texts: en (English), zh (Chinese), ru
            (Russian), th (Thai), pt (Portuguese), es (Spanish), tr (Turkish), vi (Vietnamese), ja
            (Japanese), ko (Korean).
        sort (Sort | Unset): Sort order of the search: default, sales, price_up, price_down.
        support_dropshipping (bool | Unset):
        is_factory (bool | Unset):
        verified_supplier (bool | Unset):
        free_shipping (bool | Unset):
        new_arrival (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | SearchResponse
    """

    return sync_detailed(
        client=client,
        img_url=img_url,
        page=page,
        page_size=page_size,
        language=language,
        sort=sort,
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
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    language: Language | Unset = UNSET,
    sort: Sort | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> Response[ErrorResponse | SearchResponse]:
    """Search 1688 products by image (multilingual)

     Finds 1688 products that look like the image at `img_url`. Results are paged;
    titles are translated into `language`. Only images hosted on Alibaba-affiliated
    platforms can be searched; any other image must first be converted with
    `convert_image_url` and the returned path passed as `img_url`.

    `data.page_size` echoes the page size of the answer, which may be smaller than the
    requested one while `total_count` is larger: a short page is not proof of the last
    page.

    Args:
        img_url (str):
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        language (Language | Unset): Language of translated texts: en (English), zh (Chinese), ru
            (Russian), th (Thai), pt (Portuguese), es (Spanish), tr (Turkish), vi (Vietnamese), ja
            (Japanese), ko (Korean).
        sort (Sort | Unset): Sort order of the search: default, sales, price_up, price_down.
        support_dropshipping (bool | Unset):
        is_factory (bool | Unset):
        verified_supplier (bool | Unset):
        free_shipping (bool | Unset):
        new_arrival (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | SearchResponse]
    """

    kwargs = _get_kwargs(
        img_url=img_url,
        page=page,
        page_size=page_size,
        language=language,
        sort=sort,
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
    page: int | Unset = 1,
    page_size: int | Unset = 20,
    language: Language | Unset = UNSET,
    sort: Sort | Unset = UNSET,
    support_dropshipping: bool | Unset = UNSET,
    is_factory: bool | Unset = UNSET,
    verified_supplier: bool | Unset = UNSET,
    free_shipping: bool | Unset = UNSET,
    new_arrival: bool | Unset = UNSET,
) -> ErrorResponse | SearchResponse | None:
    """Search 1688 products by image (multilingual)

     Finds 1688 products that look like the image at `img_url`. Results are paged;
    titles are translated into `language`. Only images hosted on Alibaba-affiliated
    platforms can be searched; any other image must first be converted with
    `convert_image_url` and the returned path passed as `img_url`.

    `data.page_size` echoes the page size of the answer, which may be smaller than the
    requested one while `total_count` is larger: a short page is not proof of the last
    page.

    Args:
        img_url (str):
        page (int | Unset):  Default: 1.
        page_size (int | Unset):  Default: 20.
        language (Language | Unset): Language of translated texts: en (English), zh (Chinese), ru
            (Russian), th (Thai), pt (Portuguese), es (Spanish), tr (Turkish), vi (Vietnamese), ja
            (Japanese), ko (Korean).
        sort (Sort | Unset): Sort order of the search: default, sales, price_up, price_down.
        support_dropshipping (bool | Unset):
        is_factory (bool | Unset):
        verified_supplier (bool | Unset):
        free_shipping (bool | Unset):
        new_arrival (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | SearchResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            img_url=img_url,
            page=page,
            page_size=page_size,
            language=language,
            sort=sort,
            support_dropshipping=support_dropshipping,
            is_factory=is_factory,
            verified_supplier=verified_supplier,
            free_shipping=free_shipping,
            new_arrival=new_arrival,
        )
    ).parsed
